// Oracle for TestXercesMutants: validates files with the JDK's built-in
// (Xerces-based) XML Schema validator, as the KoSIT validator does.
//
// Usage: java Xerces.java SCHEMA_DIR < list   (list lines: inv|cn|cii TAB file)
// Output: file TAB comma-separated sorted error codes (empty = valid;
// FATAL = not well-formed).
import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

public class Xerces {
    public static void main(String[] args) throws Exception {
        SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        Map<String, Schema> schemas = new HashMap<>();
        schemas.put("inv", factory.newSchema(new File(args[0], "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd")));
        schemas.put("cn", factory.newSchema(new File(args[0], "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd")));
        schemas.put("cii", factory.newSchema(new File(args[0], "cii-d16b/xsd/CrossIndustryInvoice_100pD16B.xsd")));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split("\t");
            TreeSet<String> codes = new TreeSet<>();
            Validator v = schemas.get(f[0]).newValidator();
            v.setErrorHandler(new ErrorHandler() {
                public void warning(SAXParseException e) {}
                public void error(SAXParseException e) { codes.add(codeOf(e.getMessage())); }
                public void fatalError(SAXParseException e) { codes.add("FATAL"); }
            });
            try {
                v.validate(new StreamSource(new File(f[1])));
            } catch (SAXException e) {
                codes.add("FATAL");
            }
            System.out.println(f[1] + "\t" + String.join(",", codes));
        }
    }

    static String codeOf(String message) {
        int i = message.indexOf(':');
        return i > 0 ? message.substring(0, i) : message;
    }
}
