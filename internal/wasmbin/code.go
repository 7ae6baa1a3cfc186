package wasmbin

// body reads function body i: its size, its local declarations (bounded
// for the preflight) and, for the snapshot path, its instructions.
func (p *preflighter) body(d *decoder, i uint32) error {
	off := d.p
	size, err := d.u32("function body size")
	if err != nil {
		return err
	}
	if left := d.left(); uint64(size) > uint64(left) {
		return malformed(off, "function body %d of %d bytes, but only %d bytes remain in the code section", i, size, left)
	}
	b := d.sub(int(size))
	index := p.importedFuncs + uint64(i)
	sum, err := b.locals(index)
	if err != nil {
		return err
	}
	if sum > maxFunctionLocals {
		return malformed(off, "function %d declares %d locals (limit %d)", index, sum, maxFunctionLocals)
	}
	p.locals += sum
	if p.params+p.locals > p.localsBudget {
		return malformed(off, "function %d brings the parameters and locals of the module's functions to %d, more than %d per byte of the code section plus %d (%d)",
			index, p.params+p.locals, localsPerCodeByte, maxFunctionLocals, p.localsBudget)
	}
	if p.m.snapErr == nil {
		span := bodySpan{content: b.end - int(size), instr: b.p, end: b.end, typ: noType}
		if uint64(i) < uint64(len(p.funcTypes)) && uint64(p.funcTypes[i]) < uint64(len(p.typeParams)) {
			span.typ = p.funcTypes[i]
			span.weight = frameWeight(uint64(p.typeParams[span.typ]), sum)
			span.locals = uint32(uint64(p.typeParams[span.typ]) + sum) // below 2^32: the locals budget bounds both
		}
		p.m.bodies = append(p.m.bodies, span)
		flags, err := p.m.scanInstructions(b)
		if err != nil {
			p.m.noSnapshot(err)
		}
		p.m.flags |= flags
	}
	return nil
}

// locals reads the local declarations of the body of function index, and
// returns how many locals they declare.
func (d *decoder) locals(index uint64) (uint64, error) {
	off := d.p
	decls, err := d.rawU32()
	if err != nil {
		return 0, malformed(off, "%v in the count of local declarations of function %d", err, index)
	}
	if left := d.left(); uint64(decls)*2 > uint64(left) {
		return 0, malformed(off, "declares %d local declarations but only %d bytes remain in the body of function %d, and each takes at least 2",
			decls, left, index)
	}
	var sum uint64
	for j := uint32(0); j < decls; j++ {
		n, err := d.u32("local count")
		if err != nil {
			return 0, err
		}
		sum += uint64(n)
		if _, err = d.valType("local type"); err != nil {
			return 0, err
		}
	}
	return sum, nil
}
