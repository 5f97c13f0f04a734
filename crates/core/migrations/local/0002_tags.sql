-- Object tags (a JSON object), written in the same statement as the object row, so a
-- replaced object never keeps its predecessor's tags.
ALTER TABLE objects ADD COLUMN tags TEXT;
