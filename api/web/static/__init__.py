"""Style sheet and script of the pages (a package only so that they are installed with the code)."""
