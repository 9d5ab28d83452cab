"""GhostNet-Py benchmarks: zquic (raw streams, RPC, bulk, handshakes) against baselines measured
in the same run (raw QUIC core, grpcio). Run `python -m bench --help`; see docs/benchmarks.md."""
