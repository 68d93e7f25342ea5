"""Commands that write a problem for other tools' solvers: export-dpomdp."""
