"""Every string a cashier or manager reads in the window, by area, ready for translation.

Payment progress sentences are shared with the CLI in `pos_app.domain.texts`.
"""
