-- Room in every page for updated rows (HOT updates: the new row version stays on its page and no
-- index gets a new entry): a call's stream row is rewritten on every append, its idempotency key
-- when the command's answer is stored. Applies to pages written from now on.
ALTER TABLE "streams" SET (fillfactor = 70);
ALTER TABLE "idempotency_keys" SET (fillfactor = 70);
