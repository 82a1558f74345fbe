// The BullMQ queue's name, which submitters and workers share (apart, so naming it loads no BullMQ).

/** The BullMQ queue's name. */
export const bullQueueName = 'promptune-jobs';
