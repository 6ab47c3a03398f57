"""`enclave report`: the evidence report, a self-contained HTML page with a CSV and a JSON of the same rows."""
