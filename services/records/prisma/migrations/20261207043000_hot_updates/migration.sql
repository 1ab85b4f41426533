-- Room in every page for updated rows (HOT updates: the new row version stays on its page and no
-- index gets a new entry). A case's row is rewritten by every dispatch event of its call (version)
-- and by its disposition; a stream's row on each append. Applies to pages written from now on.
ALTER TABLE "cases" SET (fillfactor = 70);
ALTER TABLE "streams" SET (fillfactor = 70);
