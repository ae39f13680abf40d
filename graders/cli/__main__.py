"""`python -m graders.cli ...` is the `kata` command."""

import sys

from graders.cli.kata import main

sys.exit(main())
