// Live mode: HTTP server, kubectl/helm executor, Prometheus client (pending).
