/**
 * The contract between Cloud Run and admission checks (Binary Authorization): the types
 * only, so neither module imports the other.
 */

/** What Cloud Run asks admission checks about a new revision. */
export interface ImageAdmissionRequest {
  project: string;
  region: string;
  service: string;
  /** Every container image of the revision. */
  images: string[];
  /** The service's `binaryAuthorization` field as sent (`{useDefault, policy, breakglassJustification}`). */
  binaryAuthorization?: { useDefault?: boolean; policy?: string; breakglassJustification?: string };
  /** The revision's service account email (after server defaults). */
  serviceAccount?: string;
  /**
   * Every Secret Manager reference of the revision: env `valueSource.secretKeyRef` and
   * secret volumes, with the field path Cloud Run names in its condition message.
   */
  secrets?: Array<{ secret: string; version: string; path: string }>;
  /** The revision's Serverless VPC Access connector (`vpcAccess.connector`), when it has one. */
  vpcConnector?: string;
}

/** A denial: Cloud Run fails the revision with this condition reason and message. */
export interface ImageDenial {
  /** e.g. `CONTAINER_IMAGE_UNAUTHORIZED`. */
  reason: string;
  message: string;
}
