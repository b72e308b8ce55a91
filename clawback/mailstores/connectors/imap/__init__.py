"""The ``imap`` connector: IMAP4rev1 stores (Dovecot, Cyrus, Exchange, Gmail) via IMAPClient."""
