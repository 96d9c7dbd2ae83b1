"""The tests of theory_lib (a package, so that test modules in subfolders get unique dotted names)."""
