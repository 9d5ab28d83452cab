"""ghostkit: daemon plumbing shared by every GhostNet daemon (config, logging, metrics, admin
HTTP, graceful shutdown) plus the `ghostnet` developer CLI. Import submodules directly, e.g.
`from ghostkit.daemon import run_daemon`; this package import stays cheap on purpose."""
