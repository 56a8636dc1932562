"""`python -m cbow` is the `cbow` command."""

import sys

from cbow.cli import main

sys.exit(main())
