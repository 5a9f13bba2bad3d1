"""Pages the bridge is injected into, each with "‸" where the bridge's <script> must go.

Shared by tests/test_bridge.py (where the script goes) and e2e/test_bridge_frame.py (that
Chromium builds the same document with it as without it, and runs it first).
"""

from __future__ import annotations

from dataclasses import dataclass

MARK = "‸"


@dataclass(frozen=True)
class Case:
    name: str
    marked: str
    same_dom: bool = True  # False: the document differs, harmlessly (a comment moves)

    @property
    def html(self) -> str:
        return self.marked.replace(MARK, "")

    @property
    def at(self) -> int:
        return self.marked.index(MARK)


CORPUS = [
    Case("usual page", '<!DOCTYPE html>\n<html lang="en">\n<head>‸\n<meta charset="utf-8">\n<title>Tip</title>\n</head>\n<body><h1>Tip</h1></body>\n</html>\n'),
    Case("upper case", "<!DOCTYPE HTML><HTML><HEAD>‸<TITLE>T</TITLE></HEAD><BODY><P>x</P></BODY></HTML>"),
    Case("head with attributes", """<!doctype html><html><head data-x="a>b" class='c>d' id=h>‸<title>t</title></head><body>x</body></html>"""),
    Case("head attributes over lines", '<!DOCTYPE html>\n<html>\n<head\n  data-a="1"\n  data-b=\'2\'\n>‸<title>t</title></head><body>x</body></html>'),
    Case("self-closed head", "<!DOCTYPE html><html><head/>‸<title>t</title><p>x"),
    Case("comments before the doctype", "<!-- generated -->\n<!DOCTYPE html>\n<!-- more -->\n<html>\n<!-- inside -->\n<head>‸<title>t</title></head><body>x</body></html>"),
    Case("odd comments", "<!--><!---><!-- a --!><!-- b ---><!DOCTYPE html>‸<p>x</p>"),
    Case("xml declaration", '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n‸<p>x</p>'),
    Case("byte-order mark", "\ufeff<!DOCTYPE html><html lang=en>\n‸<p>x</p>"),
    Case("leading blank lines", "\n\n   <!DOCTYPE html>\n   <html>\n   <head>‸\n   <title>t</title>"),
    Case("crlf", "<!DOCTYPE html>\r\n<html>\r\n<head>‸\r\n<title>t</title>\r\n</head>\r\n<body>x</body>\r\n</html>"),
    Case("public doctype", '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml">\n<head>‸<title>t</title></head><body>x</body></html>'),
    Case("no head", "<!DOCTYPE html><html lang=en>‸<body><p>hi</p></body></html>"),
    Case("comment after html", "<!DOCTYPE html><html><!-- c -->‸<body>x</body></html>"),
    Case("no html, no head", "<!DOCTYPE html>‸<meta charset=utf-8><title>t</title><p>x"),
    Case("header is not head", "<!DOCTYPE html>‸<header><h1>x</h1></header>"),
    Case("script mentioning <head>", '<!DOCTYPE html><html>‸<body><script>var s = "<head>";</script></body></html>'),
    Case("body before head", "<!DOCTYPE html><html>‸<body><head><title>late</title></head></body></html>"),
    Case("quote-looking attribute name", '<!DOCTYPE html><html ="a>‸b">x'),
    Case("quirks page", "<html><head>‸<title>t</title></head><body>x</body></html>"),
    Case("fragment", "‸<h1>hi</h1><p>text</p>"),
    Case("text first", "‸hello <b>world</b>"),
    Case("svg only", '‸<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'),
    Case("empty", "‸"),
    Case("cut off inside the html tag", '<!DOCTYPE html>‸<html lang="e'),
    Case("cut off inside head", "<!DOCTYPE html><html><head>‸<title>Tip calc"),
    Case("never-closed comment", "<!DOCTYPE html>‸<!-- never closed <p>x", same_dom=False),
]
