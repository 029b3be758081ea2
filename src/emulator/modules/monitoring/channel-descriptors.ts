/**
 * Notification channel descriptors the emulator knows: the channel types and the
 * labels each needs (`email` needs `email_address`). Shapes follow
 * `google.monitoring.v3.NotificationChannelDescriptor`.
 */

interface LabelDef {
  key: string;
  description: string;
  required?: boolean;
}

interface DescriptorDef {
  type: string;
  displayName: string;
  description: string;
  labels: LabelDef[];
}

const DEFS: DescriptorDef[] = [
  { type: 'email', displayName: 'Email', description: 'A channel that sends email to an address.', labels: [{ key: 'email_address', description: 'An address to send email.', required: true }] },
  { type: 'sms', displayName: 'SMS', description: 'A channel that sends text messages to a phone.', labels: [{ key: 'number', description: 'The phone number, in E.164 format (+15555550100).', required: true }] },
  { type: 'slack', displayName: 'Slack', description: 'A channel that posts to a Slack channel.', labels: [{ key: 'channel_name', description: 'The Slack channel to post to (#alerts).', required: true }, { key: 'team', description: 'The Slack workspace.' }, { key: 'auth_token', description: 'The OAuth token of the Slack app.' }] },
  { type: 'pagerduty', displayName: 'PagerDuty', description: 'A channel that opens PagerDuty incidents.', labels: [{ key: 'service_key', description: 'The PagerDuty integration key.', required: true }] },
  { type: 'webhook_tokenauth', displayName: 'Webhook with token authentication', description: 'A channel that posts JSON to a URL.', labels: [{ key: 'url', description: 'The URL to post to, with the token as a parameter.', required: true }] },
  { type: 'webhook_basicauth', displayName: 'Webhook with basic authentication', description: 'A channel that posts JSON to a URL with basic authentication.', labels: [{ key: 'url', description: 'The URL to post to.', required: true }, { key: 'username', description: 'The user name.', required: true }, { key: 'password', description: 'The password.', required: true }] },
  { type: 'pubsub', displayName: 'Pub/Sub', description: 'A channel that publishes to a Pub/Sub topic.', labels: [{ key: 'topic', description: 'The topic, projects/PROJECT/topics/TOPIC.', required: true }] },
];

/** The descriptor definition of a channel type, or undefined. */
export function descriptorDef(type: string): DescriptorDef | undefined {
  return DEFS.find((d) => d.type === type);
}

/** Every descriptor of a project, in wire shape. */
export function descriptors(project: string): any[] {
  return DEFS.map((d) => descriptorMessage(project, d));
}

/** One descriptor in wire shape. */
export function descriptorMessage(project: string, d: DescriptorDef): any {
  return {
    name: `projects/${project}/notificationChannelDescriptors/${d.type}`,
    type: d.type,
    displayName: d.displayName,
    description: d.description,
    labels: d.labels.map((l) => ({ key: l.key, description: l.description, valueType: 'STRING' })),
    launchStage: 'GA',
  };
}

/** Channel types whose channels must be verified before they deliver. */
export const NEEDS_VERIFICATION = new Set(['email', 'sms']);
