from crashsh.cli import main

raise SystemExit(main())
