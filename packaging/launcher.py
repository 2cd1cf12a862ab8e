"""The bundle's entry point: the same `main` as the `pos-app` console script.

The executable runs `pos-app` (the window), `pos-app sandbox ...` (the demo's
child process starts the bundle again with that subcommand), `pos-app charge
...` and `pos-app --self-test` alike.
"""

import sys

from pos_app.entry import main

if __name__ == "__main__":
    sys.exit(main())
