BEGIN TRANSACTION;
CREATE TABLE blobs (
	sha256 VARCHAR(64) NOT NULL, 
	size INTEGER NOT NULL, 
	media_type VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (sha256)
);
INSERT INTO "blobs" VALUES('9fa0f2ae2b655c877690c6ed5649dad9f248147f7e21d0f8011636c20d627162',75,'image/png','2026-11-22 09:48:14.156894');
CREATE TABLE consent_records (
	id VARCHAR(32) NOT NULL, 
	creator_id VARCHAR(32) NOT NULL, 
	basis VARCHAR(16) NOT NULL, 
	reference VARCHAR(200), 
	granted_at DATETIME NOT NULL, 
	revoked_at DATETIME, 
	revoke_reason TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(creator_id) REFERENCES creators (id)
);
INSERT INTO "consent_records" VALUES('cns_0e53009d58ebc29e','cr_c17b03690405a524','client','order-1','2026-11-22 09:48:14.157571',NULL,NULL);
CREATE TABLE creators (
	id VARCHAR(32) NOT NULL, 
	handle VARCHAR(64) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	level VARCHAR(16) NOT NULL, 
	vetted BOOLEAN NOT NULL, 
	"plan" VARCHAR(32) NOT NULL, 
	plan_cents INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (handle)
);
INSERT INTO "creators" VALUES('cr_c17b03690405a524','ada','Ada Lovelace','level2',1,'free',0,'2026-11-22 09:48:14.045325');
CREATE TABLE edit_requests (
	id VARCHAR(32) NOT NULL, 
	generation_id VARCHAR(32) NOT NULL, 
	buyer VARCHAR(320) NOT NULL, 
	message TEXT NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	quote_cents INTEGER, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(generation_id) REFERENCES generations (id)
);
CREATE TABLE generations (
	id VARCHAR(32) NOT NULL, 
	model_version_id VARCHAR(32), 
	creator_id VARCHAR(32), 
	prompt TEXT NOT NULL, 
	seed INTEGER NOT NULL, 
	buyer VARCHAR(320), 
	blob_sha256 VARCHAR(64) NOT NULL, 
	preview_sha256 VARCHAR(64), 
	phash VARCHAR(32), 
	flagged TEXT, 
	price_cents INTEGER, 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(model_version_id) REFERENCES model_versions (id), 
	FOREIGN KEY(creator_id) REFERENCES creators (id), 
	FOREIGN KEY(blob_sha256) REFERENCES blobs (sha256), 
	FOREIGN KEY(preview_sha256) REFERENCES blobs (sha256)
);
CREATE TABLE ledger_events (
	seq INTEGER NOT NULL, 
	id VARCHAR(32) NOT NULL, 
	kind VARCHAR(64) NOT NULL, 
	subject VARCHAR(64) NOT NULL, 
	payload TEXT NOT NULL, 
	created_at VARCHAR(32) NOT NULL, 
	prev_hash VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	PRIMARY KEY (seq), 
	UNIQUE (id)
);
INSERT INTO "ledger_events" VALUES(1,'evt_8d618a9a2131e394','creator.added','cr_c17b03690405a524','{"handle":"ada","level":"level2","vetted":true}','2026-11-22T09:48:14.057095Z','0000000000000000000000000000000000000000000000000000000000000000','093738720ec210177139863c14e6b3a72a881bf11cd707e35b3b5a6255868d29');
INSERT INTO "ledger_events" VALUES(2,'evt_eac12377ab1da0d8','consent.given','itm_b67ca9c10b102a2b','{"basis":"client","consent":"cns_0e53009d58ebc29e","creator":"ada","item":"itm_b67ca9c10b102a2b","reference":"order-1","sha256":"9fa0f2ae2b655c877690c6ed5649dad9f248147f7e21d0f8011636c20d627162"}','2026-11-22T09:48:14.166863Z','093738720ec210177139863c14e6b3a72a881bf11cd707e35b3b5a6255868d29','77f4e1de96df8e006eac2aefbb396f93a253b749807cadac0287a598eaada919');
CREATE TABLE licences (
	id VARCHAR(32) NOT NULL, 
	purchase_id VARCHAR(32) NOT NULL, 
	terms JSON NOT NULL, 
	certificate TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (purchase_id), 
	FOREIGN KEY(purchase_id) REFERENCES purchases (id)
);
CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "meta" VALUES('schema_version','1');
INSERT INTO "meta" VALUES('ledger_head','2:77f4e1de96df8e006eac2aefbb396f93a253b749807cadac0287a598eaada919');
CREATE TABLE model_versions (
	id VARCHAR(32) NOT NULL, 
	model_id VARCHAR(32) NOT NULL, 
	number INTEGER NOT NULL, 
	base_model TEXT NOT NULL, 
	base_sha256 VARCHAR(64), 
	path TEXT NOT NULL, 
	"trigger" VARCHAR(64), 
	manifest JSON NOT NULL, 
	scores JSON, 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	published_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (model_id, number), 
	FOREIGN KEY(model_id) REFERENCES models (id)
);
CREATE TABLE models (
	id VARCHAR(32) NOT NULL, 
	creator_id VARCHAR(32) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	disabled_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(creator_id) REFERENCES creators (id)
);
CREATE TABLE portfolio_items (
	id VARCHAR(32) NOT NULL, 
	creator_id VARCHAR(32) NOT NULL, 
	blob_sha256 VARCHAR(64) NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	caption TEXT, 
	source TEXT NOT NULL, 
	width INTEGER, 
	height INTEGER, 
	note TEXT, 
	consent_id VARCHAR(32) NOT NULL, 
	added_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (creator_id, blob_sha256), 
	FOREIGN KEY(creator_id) REFERENCES creators (id), 
	FOREIGN KEY(blob_sha256) REFERENCES blobs (sha256), 
	FOREIGN KEY(consent_id) REFERENCES consent_records (id)
);
INSERT INTO "portfolio_items" VALUES('itm_b67ca9c10b102a2b','cr_c17b03690405a524','9fa0f2ae2b655c877690c6ed5649dad9f248147f7e21d0f8011636c20d627162','image',NULL,'a.png',8,8,NULL,'cns_0e53009d58ebc29e','2026-11-22 09:48:14.166030');
CREATE TABLE prices (
	id VARCHAR(32) NOT NULL, 
	model_id VARCHAR(32) NOT NULL, 
	cents INTEGER NOT NULL, 
	currency VARCHAR(3) NOT NULL, 
	effective_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(model_id) REFERENCES models (id)
);
CREATE TABLE purchases (
	id VARCHAR(32) NOT NULL, 
	generation_id VARCHAR(32) NOT NULL, 
	buyer VARCHAR(320) NOT NULL, 
	price_cents INTEGER NOT NULL, 
	fee_cents INTEGER NOT NULL, 
	creator_cents INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (generation_id), 
	FOREIGN KEY(generation_id) REFERENCES generations (id)
);
CREATE INDEX ix_ledger_events_subject ON ledger_events (subject);
CREATE INDEX ix_ledger_events_kind ON ledger_events (kind);
CREATE INDEX ix_models_creator_id ON models (creator_id);
CREATE INDEX ix_portfolio_items_creator_id ON portfolio_items (creator_id);
CREATE INDEX ix_model_versions_model_id ON model_versions (model_id);
CREATE INDEX ix_prices_model_id ON prices (model_id);
CREATE INDEX ix_generations_creator_id ON generations (creator_id);
CREATE INDEX ix_generations_model_version_id ON generations (model_version_id);
CREATE INDEX ix_edit_requests_generation_id ON edit_requests (generation_id);
COMMIT;
