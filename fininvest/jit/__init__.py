"""Joint Investigation Teams: agreements as data, partner shares and deconfliction.

* :mod:`fininvest.jit.agreement` — the JIT agreement (partners, period, what may be shared),
  one TOML file per agreement in ``CASE_DIR/jit/``; every share and exchange is checked
  against it.
* :mod:`fininvest.jit.identifiers` — identifiers normalised for matching (IBAN, E.164 phone,
  e-mail, passport + country, wallet, handle) and match keys for persons' names.
* :mod:`fininvest.jit.psi` — the commutative blinding of private set intersection
  (hash-to-curve and scalar multiplication on edwards25519, via PyNaCl / libsodium).
* :mod:`fininvest.jit.deconflict` — the offer → answer → result messages between two sides.
* :mod:`fininvest.jit.ledger` — the hash-chained exchange log.
* :mod:`fininvest.jit.pseudonyms` — per-JIT, per-partner keyed pseudonyms (HMAC-SHA-256).
* :mod:`fininvest.jit.scope` — what a share to a partner holds, pseudonymises and withholds.
"""
