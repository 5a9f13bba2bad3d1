"""The models Toolsmith can call: one module per wire format, behind the `Provider` protocol of base.py."""
