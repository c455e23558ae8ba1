from marketplace_sim.cli import main

raise SystemExit(main())
