package zugferd

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/ascii85"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// entry locates one object: directly in the file at off, or as the idx-th
// object of object stream container. order is the file position that
// decides which of several definitions wins (the later one).
type entry struct {
	off       int
	container int // object number of the object stream, or -1
	idx       int
	order     int
}

type document struct {
	data        []byte
	index       map[int]entry
	cache       map[int]any
	failed      map[int]error
	objstm      map[int]*objStream
	budget      int64 // bytes left for decompression
	trailer     []dict
	ends        []int // offsets of every "endstream", ascending
	trailerList []dict
	trailerDone bool
	busy        map[int]bool // objects being parsed (cycle guard)
}

type objStream struct {
	data []byte
	offs map[int]int // object number -> offset in data
}

var errTooLarge = errors.New("decompressed data exceeds the limit")

// open indexes the objects of a PDF file.
func open(data []byte, budget int64) (*document, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(data[:min(len(data), 1024)], "\x00\t\n\f\r "), []byte("%PDF-")) &&
		bytes.Index(data[:min(len(data), 1024)], []byte("%PDF-")) < 0 {
		return nil, errors.New("not a PDF file (no %PDF- header)")
	}
	d := &document{data: data, index: map[int]entry{}, cache: map[int]any{}, objstm: map[int]*objStream{}, budget: budget, busy: map[int]bool{}, failed: map[int]error{}}
	for pos := 0; ; {
		i := bytes.Index(data[pos:], []byte("endstream"))
		if i < 0 {
			break
		}
		d.ends = append(d.ends, pos+i)
		pos += i + len("endstream")
	}
	d.scan()
	if len(d.index) == 0 {
		return nil, errors.New("no PDF objects found")
	}
	d.indexObjectStreams()
	return d, nil
}

// scan finds "N G obj" headers. Stream data of parsed objects is skipped,
// so bytes inside streams are not taken for headers.
func (d *document) scan() {
	b := d.data
	pos := 0
	for len(d.index) < maxObjects {
		i := bytes.Index(b[pos:], []byte("obj"))
		if i < 0 {
			break
		}
		at := pos + i
		pos = at + 3
		if pos < len(b) && !isWhite(b[pos]) && !isDelim(b[pos]) {
			continue // "objstm" and the like
		}
		num, gen, start, ok := headerBefore(b, at)
		if !ok {
			continue
		}
		_ = gen
		d.index[num] = entry{off: start, container: -1, order: start}
		// skip the object's body, and its stream data if any
		l := &lexer{b: b, pos: pos}
		v, err := l.value()
		if err != nil {
			// skip what the failed parse consumed, so that hostile input
			// (say, many unterminated strings) stays linear
			pos = max(pos, l.pos)
			continue
		}
		if _, isDict := v.(dict); !isDict {
			continue
		}
		l.skipSpace()
		if bytes.HasPrefix(b[l.pos:], []byte("stream")) {
			if end := d.endstreamAfter(l.pos); end >= 0 {
				pos = end + len("endstream")
			}
		} else {
			pos = l.pos
		}
	}
}

// headerBefore parses "num gen " immediately before the "obj" at position at.
func headerBefore(b []byte, at int) (num, gen, start int, ok bool) {
	p := at - 1
	skipWhite := func() bool {
		n := 0
		for p >= 0 && isWhite(b[p]) {
			p--
			n++
		}
		return n > 0
	}
	digits := func() (int, bool) {
		end := p + 1
		for p >= 0 && b[p] >= '0' && b[p] <= '9' && end-p <= 10 {
			p--
		}
		if p+1 == end {
			return 0, false
		}
		v, err := strconv.Atoi(string(b[p+1 : end]))
		return v, err == nil
	}
	if !skipWhite() {
		return 0, 0, 0, false
	}
	gen, ok = digits()
	if !ok || !skipWhite() {
		return 0, 0, 0, false
	}
	num, ok = digits()
	if !ok {
		return 0, 0, 0, false
	}
	if p >= 0 && !isWhite(b[p]) && !isDelim(b[p]) {
		return 0, 0, 0, false
	}
	return num, gen, p + 1, true
}

// indexObjectStreams registers the objects stored in object streams.
func (d *document) indexObjectStreams() {
	var containers []int
	for num := range d.index {
		containers = append(containers, num)
	}
	for _, num := range containers {
		v, err := d.direct(num)
		if err != nil {
			continue
		}
		s, ok := v.(*stream)
		if !ok || s.dict["Type"] != name("ObjStm") {
			if ok && s.dict["Type"] == name("XRef") {
				d.trailer = append(d.trailer, s.dict)
			}
			continue
		}
		os, err := d.loadObjStream(num, s)
		if err != nil {
			continue
		}
		order := d.index[num].order
		for obj := range os.offs {
			if cur, ok := d.index[obj]; ok && cur.order > order {
				continue
			}
			if obj == num {
				continue
			}
			d.index[obj] = entry{container: num, order: order}
		}
	}
}

func (d *document) loadObjStream(num int, s *stream) (*objStream, error) {
	if os, ok := d.objstm[num]; ok {
		return os, nil
	}
	data, err := d.decode(s)
	if err != nil {
		return nil, err
	}
	n, _ := s.dict["N"].(int64)
	first, _ := s.dict["First"].(int64)
	if n < 0 || n > maxObjects || first < 0 || int(first) > len(data) {
		return nil, fmt.Errorf("%w: bad object stream", errSyntax)
	}
	os := &objStream{data: data, offs: map[int]int{}}
	l := &lexer{b: data[:first]}
	for i := int64(0); i < n; i++ {
		a, err1 := l.value()
		b, err2 := l.value()
		on, ok1 := a.(int64)
		off, ok2 := b.(int64)
		if err1 != nil || err2 != nil || !ok1 || !ok2 || off < 0 || first+off > int64(len(data)) {
			break
		}
		os.offs[int(on)] = int(first + off)
	}
	d.objstm[num] = os
	return os, nil
}

// endstreamAfter returns the offset of the first "endstream" at or after
// pos, or -1 (a binary search, so hostile files cannot make it quadratic).
func (d *document) endstreamAfter(pos int) int {
	i, _ := slices.BinarySearch(d.ends, pos)
	if i == len(d.ends) {
		return -1
	}
	return d.ends[i]
}

// direct parses object num (without following references).
func (d *document) direct(num int) (any, error) {
	if v, ok := d.cache[num]; ok {
		return v, nil
	}
	if err := d.failed[num]; err != nil {
		return nil, err
	}
	if d.busy[num] {
		return nil, fmt.Errorf("%w: object %d is stored in itself", errSyntax, num)
	}
	d.busy[num] = true
	defer delete(d.busy, num)
	v, err := d.parseObject(num)
	if err != nil {
		d.failed[num] = err
		return nil, err
	}
	d.cache[num] = v
	return v, nil
}

func (d *document) parseObject(num int) (any, error) {
	e, ok := d.index[num]
	if !ok {
		return nil, nil // a missing object is null
	}
	var v any
	var err error
	if e.container >= 0 {
		cv, cerr := d.direct(e.container)
		s, isStream := cv.(*stream)
		if cerr != nil || !isStream {
			return nil, fmt.Errorf("object %d: object stream %d unreadable", num, e.container)
		}
		os, err := d.loadObjStream(e.container, s)
		if err != nil {
			return nil, err
		}
		off, ok := os.offs[num]
		if !ok {
			return nil, nil
		}
		l := &lexer{b: os.data, pos: off}
		v, err = l.value()
		if err != nil {
			return nil, fmt.Errorf("object %d: %w", num, err)
		}
	} else {
		v, err = d.parseAt(e.off)
		if err != nil {
			return nil, fmt.Errorf("object %d: %w", num, err)
		}
	}
	return v, nil
}

// parseAt parses "N G obj value [stream ... endstream]" at off.
func (d *document) parseAt(off int) (any, error) {
	l := &lexer{b: d.data, pos: off}
	for i := 0; i < 3; i++ { // num gen obj
		l.skipSpace()
		l.keyword()
	}
	v, err := l.value()
	if err != nil {
		return nil, err
	}
	dc, isDict := v.(dict)
	if !isDict {
		return v, nil
	}
	l.skipSpace()
	if !bytes.HasPrefix(d.data[l.pos:], []byte("stream")) {
		return v, nil
	}
	start := l.pos + len("stream")
	if start < len(d.data) && d.data[start] == '\r' {
		start++
	}
	if start < len(d.data) && d.data[start] == '\n' {
		start++
	}
	end := -1
	if n, ok := d.lengthOf(dc); ok && n >= 0 && start+n <= len(d.data) {
		rest := d.data[start+n:]
		k := 0
		for k < len(rest) && k < 4 && isWhite(rest[k]) {
			k++
		}
		if bytes.HasPrefix(rest[k:], []byte("endstream")) {
			end = start + n
		}
	}
	if end < 0 {
		i := d.endstreamAfter(start)
		if i < 0 {
			return nil, fmt.Errorf("%w: stream without endstream", errSyntax)
		}
		end = i
		// the end-of-line before endstream is not data
		if end > start && d.data[end-1] == '\n' {
			end--
		}
		if end > start && d.data[end-1] == '\r' {
			end--
		}
	}
	return &stream{dict: dc, raw: d.data[start:end]}, nil
}

func (d *document) lengthOf(dc dict) (int, bool) {
	switch v := dc["Length"].(type) {
	case int64:
		return int(v), true
	case ref:
		if e, ok := d.index[v.num]; ok && e.container < 0 {
			l := &lexer{b: d.data, pos: e.off}
			for i := 0; i < 3; i++ {
				l.skipSpace()
				l.keyword()
			}
			if n, err := l.value(); err == nil {
				if i, ok := n.(int64); ok {
					return int(i), true
				}
			}
		}
	}
	return 0, false
}

// resolve follows references to a direct value.
func (d *document) resolve(v any) (any, error) {
	for i := 0; i < maxRefChain; i++ {
		r, ok := v.(ref)
		if !ok {
			return v, nil
		}
		var err error
		v, err = d.direct(r.num)
		if err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: reference chain too long", errSyntax)
}

func (d *document) dictOf(v any) dict {
	v, err := d.resolve(v)
	if err != nil {
		return nil
	}
	switch x := v.(type) {
	case dict:
		return x
	case *stream:
		return x.dict
	}
	return nil
}

func (d *document) arrayOf(v any) []any {
	v, err := d.resolve(v)
	if err != nil {
		return nil
	}
	a, _ := v.([]any)
	return a
}

// decode applies the stream's filters, within the decompression budget.
func (d *document) decode(s *stream) ([]byte, error) {
	filters := []any{}
	switch f := s.dict["Filter"].(type) {
	case name, ref:
		filters = append(filters, f)
	case []any:
		filters = f
	}
	parms := []any{}
	switch p := s.dict["DecodeParms"].(type) {
	case dict, ref:
		parms = append(parms, p)
	case []any:
		parms = p
	}
	data := s.raw
	for i, f := range filters {
		fv, _ := d.resolve(f)
		fn, _ := fv.(name)
		var parm dict
		if i < len(parms) {
			parm = d.dictOf(parms[i])
		}
		var err error
		switch fn {
		case "FlateDecode", "Fl":
			data, err = d.inflate(data)
			if err == nil {
				data, err = unpredict(data, parm)
			}
		case "ASCIIHexDecode", "AHx":
			data, err = asciiHex(data)
		case "ASCII85Decode", "A85":
			data, err = ascii85Decode(data)
		default:
			return nil, fmt.Errorf("unsupported stream filter %q", fn)
		}
		if err != nil {
			return nil, err
		}
		if int64(len(data)) > d.budget {
			return nil, errTooLarge
		}
	}
	if filters == nil || len(filters) == 0 {
		if int64(len(data)) > d.budget {
			return nil, errTooLarge
		}
	}
	d.budget -= int64(len(data))
	return data, nil
}

func (d *document) inflate(in []byte) ([]byte, error) {
	var r io.Reader
	zr, err := zlib.NewReader(bytes.NewReader(in))
	if err == nil {
		defer zr.Close()
		r = zr
	} else {
		// some writers omit the zlib header: try raw deflate
		r = flate.NewReader(bytes.NewReader(in))
	}
	out, err := io.ReadAll(io.LimitReader(r, d.budget+1))
	if int64(len(out)) > d.budget {
		return nil, errTooLarge
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, zlib.ErrChecksum) {
		if len(out) == 0 {
			return nil, fmt.Errorf("flate: %w", err)
		}
	}
	return out, nil
}

func unpredict(data []byte, parm dict) ([]byte, error) {
	if parm == nil {
		return data, nil
	}
	pred, _ := parm["Predictor"].(int64)
	if pred < 10 {
		if pred == 2 {
			return nil, errors.New("TIFF predictor not supported")
		}
		return data, nil
	}
	cols := int64(1)
	if c, ok := parm["Columns"].(int64); ok && c > 0 && c < 1<<20 {
		cols = c
	}
	colors := int64(1)
	if c, ok := parm["Colors"].(int64); ok && c > 0 && c < 64 {
		colors = c
	}
	bpc := int64(8)
	if c, ok := parm["BitsPerComponent"].(int64); ok && c > 0 && c <= 16 {
		bpc = c
	}
	bpp := int((colors*bpc + 7) / 8)
	rowLen := int((cols*colors*bpc + 7) / 8)
	if rowLen <= 0 {
		return nil, errors.New("bad predictor parameters")
	}
	out := make([]byte, 0, len(data))
	zero := make([]byte, rowLen)
	for len(data) >= rowLen+1 {
		ft := data[0]
		start := len(out)
		out = append(out, data[1:rowLen+1]...)
		data = data[rowLen+1:]
		row := out[start:]
		prev := zero
		if start >= rowLen {
			prev = out[start-rowLen : start]
		}
		for i := range row {
			var left, upLeft byte
			if i >= bpp {
				left = row[i-bpp]
				upLeft = prev[i-bpp]
			}
			up := prev[i]
			switch ft {
			case 1:
				row[i] += left
			case 2:
				row[i] += up
			case 3:
				row[i] += byte((int(left) + int(up)) / 2)
			case 4:
				row[i] += paeth(left, up, upLeft)
			}
		}
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func asciiHex(in []byte) ([]byte, error) {
	l := &lexer{b: append(append([]byte{'<'}, in...), '>')}
	if i := bytes.IndexByte(in, '>'); i >= 0 {
		l.b = append(append([]byte{'<'}, in[:i]...), '>')
	}
	return l.hexString()
}

func ascii85Decode(in []byte) ([]byte, error) {
	if i := bytes.Index(in, []byte("~>")); i >= 0 {
		in = in[:i]
	}
	in = bytes.TrimPrefix(bytes.TrimSpace(in), []byte("<~"))
	out := make([]byte, len(in)*4/5+8)
	n, _, err := ascii85.Decode(out, in, true)
	if err != nil {
		return nil, fmt.Errorf("ASCII85: %w", err)
	}
	return out[:n], nil
}

// trailers returns the trailer dictionaries, the last in the file first,
// then the xref stream dictionaries. Computed once.
func (d *document) trailers() []dict {
	if d.trailerDone {
		return d.trailerList
	}
	d.trailerDone = true
	var offs []int
	for pos := 0; ; {
		i := bytes.Index(d.data[pos:], []byte("trailer"))
		if i < 0 {
			break
		}
		offs = append(offs, pos+i)
		pos += i + len("trailer")
	}
	var out []dict
	for k := len(offs) - 1; k >= 0 && len(out) < 64; k-- {
		l := &lexer{b: d.data, pos: offs[k] + len("trailer")}
		if v, err := l.value(); err == nil {
			if t, ok := v.(dict); ok {
				out = append(out, t)
			}
		}
	}
	d.trailerList = append(out, d.trailer...)
	return d.trailerList
}
