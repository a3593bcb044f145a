from ocr_desk.cli import main

raise SystemExit(main())
