-- What pruning and the fair claim look up: delivered deliveries by age,
-- published events by age, and the leases in flight.
create index webhook_deliveries_delivered_idx on interview_private.webhook_deliveries (delivered_at)
  where status = 'delivered';
create index webhook_deliveries_leased_idx on interview_private.webhook_deliveries (endpoint_id)
  where status = 'pending' and claimed_by is not null;
create index outbox_events_published_idx on interview_private.outbox_events (published_at)
  where published_at is not null;
