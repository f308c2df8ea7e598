from amparo.cli import main

raise SystemExit(main())
