"""walletd_stub: a single-operator development wallet daemon (ghost.wallet.v1.WalletService).

Keys are sealed under their passphrases (zcrypto key files) in a SQLite key store; balances,
history, submissions and identities come from ghostd, directly or through GhostBridge.
See docs/walletd.md.
"""
