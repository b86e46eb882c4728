-- The store's schema as briefbot created it before migrations (main at fed0a2d, meta.schema_version 1),
-- frozen for tests/test_store_migrations.py: generated once from that code's Base.metadata, never edited.
CREATE TABLE chat_last_briefings (
	platform VARCHAR(32) NOT NULL, 
	channel_id VARCHAR(64) NOT NULL, 
	briefing_json TEXT NOT NULL, 
	saved_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (platform, channel_id)
);
CREATE TABLE chat_subscriptions (
	id SERIAL NOT NULL, 
	platform VARCHAR(32) NOT NULL, 
	workspace_id VARCHAR(64), 
	channel_id VARCHAR(64) NOT NULL, 
	topic VARCHAR(100) NOT NULL, 
	time VARCHAR(5) NOT NULL, 
	timezone VARCHAR(64) NOT NULL, 
	created_by VARCHAR(64) NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_chat_subscription UNIQUE (platform, channel_id, topic)
);
CREATE TABLE delivery_runs (
	id SERIAL NOT NULL, 
	delivery VARCHAR(300) NOT NULL, 
	scheduled_for TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	posted_at TIMESTAMP WITHOUT TIME ZONE, 
	next_try TIMESTAMP WITHOUT TIME ZONE, 
	platform VARCHAR(32), 
	message_ids JSON NOT NULL, 
	fingerprints JSON, 
	briefing_json TEXT, 
	error TEXT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_delivery_runs_run UNIQUE (delivery, scheduled_for)
);
CREATE INDEX ix_delivery_runs_status ON delivery_runs (status, scheduled_for);
CREATE TABLE meta (
	key VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY (key)
);
CREATE TABLE sources (
	id SERIAL NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	url TEXT NOT NULL, 
	outlet VARCHAR(200), 
	labels JSON NOT NULL, 
	enabled BOOLEAN NOT NULL, 
	etag TEXT, 
	last_modified TEXT, 
	last_success TIMESTAMP WITHOUT TIME ZONE, 
	last_error TEXT, 
	last_error_at TIMESTAMP WITHOUT TIME ZONE, 
	consecutive_failures INTEGER NOT NULL, 
	next_poll TIMESTAMP WITHOUT TIME ZONE, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
CREATE TABLE articles (
	id SERIAL NOT NULL, 
	source_id INTEGER NOT NULL, 
	url TEXT NOT NULL, 
	canonical_url VARCHAR(2048) NOT NULL, 
	guid TEXT, 
	title TEXT NOT NULL, 
	outlet VARCHAR(200) NOT NULL, 
	labels JSON NOT NULL, 
	published TIMESTAMP WITHOUT TIME ZONE, 
	fetched_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	window_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	text TEXT NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	language VARCHAR(16), 
	PRIMARY KEY (id), 
	FOREIGN KEY(source_id) REFERENCES sources (id), 
	UNIQUE (canonical_url), 
	UNIQUE (content_hash)
);
CREATE INDEX ix_articles_source_id ON articles (source_id);
CREATE INDEX ix_articles_window_at ON articles (window_at);
CREATE TABLE fetch_log (
	id SERIAL NOT NULL, 
	source_id INTEGER NOT NULL, 
	started_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	"new" INTEGER NOT NULL, 
	duplicates INTEGER NOT NULL, 
	items_seen INTEGER NOT NULL, 
	error TEXT, 
	duration_s FLOAT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(source_id) REFERENCES sources (id)
);
CREATE INDEX ix_fetch_log_source_id_id ON fetch_log (source_id, id);
CREATE INDEX ix_fetch_log_started_at ON fetch_log (started_at);
CREATE TABLE article_aliases (
	id SERIAL NOT NULL, 
	article_id INTEGER NOT NULL, 
	source_id INTEGER, 
	outlet VARCHAR(200) NOT NULL, 
	url TEXT NOT NULL, 
	seen_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_article_aliases_article_outlet UNIQUE (article_id, outlet), 
	FOREIGN KEY(article_id) REFERENCES articles (id) ON DELETE CASCADE, 
	FOREIGN KEY(source_id) REFERENCES sources (id)
);
CREATE INDEX ix_article_aliases_article_id ON article_aliases (article_id);
CREATE TABLE embeddings (
	article_id INTEGER NOT NULL, 
	model VARCHAR(200) NOT NULL, 
	sentences JSON NOT NULL, 
	dim INTEGER NOT NULL, 
	vectors BYTEA NOT NULL, 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (article_id, model), 
	FOREIGN KEY(article_id) REFERENCES articles (id) ON DELETE CASCADE
);
CREATE INDEX ix_embeddings_created_at ON embeddings (created_at);
INSERT INTO meta (key, value) VALUES ('schema_version', '1');
