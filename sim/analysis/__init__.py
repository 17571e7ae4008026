"""Statistics, tables and figures from a sweep's results folder (``warnsim analyze`` / ``plot``).

Reads only the files a sweep wrote (``runs.parquet``, ``warnings.parquet``,
``timeseries.parquet``, ``manifest.json``); never imports or runs the model.
"""
