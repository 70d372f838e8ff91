/** A consumer as the rest of the BFF knows it: in the vault, in identity headers, in `/auth/user`. */
export interface ConsumerIdentity {
  id: string;
  username: string | null;
  custom_id: string | null;
}
