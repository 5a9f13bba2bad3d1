"""Fake model servers speaking the real Anthropic and OpenAI streaming protocols.

`anthropic_server.FakeAnthropic` and `openai_server.FakeOpenAI` are scripted
with the steps of `script` and run under a real uvicorn with `server`.
`node_modules.make_node_modules` lays out a small stand-in for the vendored libraries.
"""
