"""Entry of the ``decmdp`` command; the command's code is :mod:`decmdp.cli`.

``python cli.py ...`` runs the command from a source checkout.
"""

from decmdp.cli import main

if __name__ == "__main__":
    main()
