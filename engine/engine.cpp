// Implementation pending (issue #3).
