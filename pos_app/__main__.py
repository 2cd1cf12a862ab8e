"""`python -m pos_app` is `pos-app`."""

from pos_app.entry import main

raise SystemExit(main())
