// Reports: metrics and writers (pending).
