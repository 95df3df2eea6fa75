-- An instance its study's derived object (the manifest) does not reference yet. A time comparison cannot say it
-- without a race: received_at is the inserting transaction's start, and that transaction commits only once the
-- blob is durable, so a manifest built meanwhile can be newer than an instance it could not see. Every row
-- inserted from now on awaits its derived object until a build that saw it clears the flag (see
-- PostgresInstanceIndex.CHANGED_SINCE_DERIVED). Rows already here keep false: their studies stay covered by the
-- time comparison, as before, and no table rewrite is needed (the first default is metadata only).
ALTER TABLE instance ADD COLUMN awaits_derived boolean NOT NULL DEFAULT false;
ALTER TABLE instance ALTER COLUMN awaits_derived SET DEFAULT true;
