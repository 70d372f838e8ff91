/**
 * The asymmetric JWS algorithms the BFF accepts wherever it verifies a signature (ID tokens, bearer JWTs, DPoP proofs):
 * never `none`, never HS*, whose "secret" could be the issuer's public key or anything the signer picks. ES256 first:
 * DPoP challenges list them in this order, the one every client supports leading.
 */
export const ASYMMETRIC_JWS_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'];
