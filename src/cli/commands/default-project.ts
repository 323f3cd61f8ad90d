/** The project whose memory role agents share when no `--project` is given; also stated in `--help`. */
export const DEFAULT_PROJECT = 'default';
