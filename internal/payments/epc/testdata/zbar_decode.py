# Decodes a QR code from raw 8-bit grey pixels (Y800) with Debian's python3-zbar in binary
# mode and prints the raw bytes as hex. Usage: zbar_decode.py FILE WIDTH HEIGHT.
# The binding decodes symbol data as UTF-8; for other bytes the raw data is
# taken from the UnicodeDecodeError, so the bytes are always exact.
import sys, zbar
w,h=int(sys.argv[2]),int(sys.argv[3])
img=zbar.Image(w,h,'Y800',open(sys.argv[1],'rb').read())
sc=zbar.ImageScanner()
sc.parse_config('enable')
sc.parse_config('qrcode.binary=1')
sc.scan(img)
for s in img.symbols:
    try:
        d=s.data.encode('utf-8')
    except UnicodeDecodeError as e:
        d=e.object
    print(d.hex())
