-- The notice a notification task sent (docs/playbooks.md, "Notices"): the exact text, sealed
-- like every free text (its digest is content_digest), its language, the elements the case
-- file held when it was sent, and those left to a later notice with the reasons given
-- (a sealed JSON object of element to reason).
ALTER TABLE notifications
    ADD COLUMN notice_text     text,
    ADD COLUMN notice_language text,
    ADD COLUMN notice_elements text[],
    ADD COLUMN notice_deferred text;
