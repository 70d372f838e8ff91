import type { ConsumerResponse } from './consumer.dto';
import type { Consumer } from './consumer.entity';

export function toConsumerResponse(consumer: Consumer): ConsumerResponse {
  return {
    id: consumer.id,
    username: consumer.username,
    custom_id: consumer.customId,
    tags: consumer.tags,
    created_at: consumer.createdAt.toISOString(),
    updated_at: consumer.updatedAt.toISOString(),
  };
}
