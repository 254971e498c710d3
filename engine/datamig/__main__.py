from datamig.cli import main

raise SystemExit(main())
