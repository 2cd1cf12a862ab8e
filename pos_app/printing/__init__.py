"""Receipt printers outside Qt's print system (ESC/POS thermal printers).

Optional: `pip install "pos-app[escpos]"` brings python-escpos. Nothing in
the domain or the services imports this package (import-linter checks it).
"""
