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
}

/** A denial: Cloud Run fails the revision with this condition reason and message. */
export interface ImageDenial {
  /** e.g. `CONTAINER_IMAGE_UNAUTHORIZED`. */
  reason: string;
  message: string;
}
