package analyze

// evidenceBlocks hands out the verdicts' lists of evidence, cut from blocks of
// strings that are only appended to: a list then costs no allocation of its
// own (it was one in three of those left per connection), and a verdict
// kept past its connection (Conn.Clone) keeps its block alive.
type evidenceBlocks struct {
	block []string
}

// listBlock is how many strings a block holds.
const listBlock = 256

// copy returns a copy of l, nil for a nil l. Its capacity is its length,
// so that an append to it cannot write into the block.
func (b *evidenceBlocks) copy(l []string) []string {
	if l == nil {
		return nil
	}
	if len(l) > cap(b.block)-len(b.block) {
		b.block = make([]string, 0, max(listBlock, len(l)))
	}
	n := len(b.block)
	b.block = append(b.block, l...)
	return b.block[n:len(b.block):len(b.block)]
}
