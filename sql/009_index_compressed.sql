-- Index fragments stored compressed: raw deflate ending on a byte boundary, so fragments
-- join into one gzip stream by concatenation, with their plain length and CRC-32 (as a
-- signed integer). A start, or a replica catching up, reads about a tenth of the bytes,
-- and serving gzip compresses nothing. NULL gz once rendered: the name has no versions
-- in this repository any more.
--
-- packed_seq and packed_base_url say what the compressed form was rendered for, apart
-- from rendered_seq and base_url, which say so for the yaml and json text columns that
-- releases before this one read and write. During a rolling update both kinds of
-- replica render their own form; the new one clears the old form (and its rendered_seq)
-- when it renders a name, so an old replica reading that row renders it again rather
-- than finding it empty. The old columns are dropped in a later release.
ALTER TABLE index_fragments
  ADD COLUMN packed_seq integer,
  ADD COLUMN packed_base_url text,
  ADD COLUMN yaml_gz bytea,
  ADD COLUMN yaml_size integer,
  ADD COLUMN yaml_crc integer,
  ADD COLUMN json_gz bytea,
  ADD COLUMN json_size integer,
  ADD COLUMN json_crc integer;
