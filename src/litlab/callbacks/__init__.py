"""Lightning callbacks: reports, plots, summaries."""
