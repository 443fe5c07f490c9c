"""``python -m resources.translations``: refresh the .ts files from gui/ and compile the .qm files."""

from resources.translations import main

raise SystemExit(main())
