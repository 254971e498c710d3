"""The parts of benchmarks/run.py: measuring, databases, sites, tools, report."""
