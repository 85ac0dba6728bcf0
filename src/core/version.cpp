namespace braid {
const char* version() { return BRAID_VERSION; }
}  // namespace braid
