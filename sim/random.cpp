// Implementation pending (sim kernel).
